/** The small coloured labels of the tables (a workflow's phase, a status, a message's kind) and an instant with "in 3 days" under it. */
import type { Child } from 'hono/jsx';
import type { DeliveryStatus, MessageKind, Phase } from '../../../domain/vocabulary.ts';
import { relative, when } from './format.ts';
import { DELIVERY_LABELS, KIND_LABELS, PHASE_LABELS, STATUS_LABELS, type Status } from './labels.ts';

/** A workflow phase's badge (`phase-<phase>` class, its label), or an em dash when there is none. */
export function PhaseBadge(props: { phase: Phase | null }) {
  if (!props.phase) return <span class="muted">—</span>;
  return <span class={`badge phase-${props.phase}`}>{PHASE_LABELS[props.phase]}</span>;
}

/** A status badge (`status-<status>` class). */
export function StatusBadge(props: { status: Status }) {
  return <span class={`badge status-${props.status}`}>{STATUS_LABELS[props.status]}</span>;
}

/** A message's delivery status badge (`delivery-<status>` class), or an em dash before the first event. */
export function DeliveryBadge(props: { status: DeliveryStatus | null }) {
  if (!props.status) return <span class="muted">—</span>;
  return <span class={`badge delivery-${props.status}`}>{DELIVERY_LABELS[props.status]}</span>;
}

/** A message kind's badge (`kind-<kind>` class, its label). */
export function KindBadge(props: { kind: MessageKind }) {
  return <span class={`badge kind-${props.kind}`}>{KIND_LABELS[props.kind]}</span>;
}

/** `2026-03-01 09:00 UTC` with "in 3 days" (from `now`, ms) under it; `none` when there is no instant. */
export function InstantWithRelative(props: { iso: string | null; now: number; none: Child }) {
  if (!props.iso) return <>{props.none}</>;
  return (
    <>
      {when(props.iso)}
      <div class="muted small">{relative(props.iso, props.now)}</div>
    </>
  );
}
