/** The page of a request the admin page cannot answer: not found, or failed. */

/** A card with the title, the message and the way back to the certificates. */
export function ErrorPage(props: { title: string; message: string }) {
  return (
    <section class="card narrow">
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a href="/admin/certificates">Back to the certificates</a>
      </p>
    </section>
  );
}
