// Recertify admin: the little the pages need beyond plain HTML forms.
/* global document, window, history */
(function () {
  'use strict';
  // After a form POST answered with a page, make the address the page's GET URL (reload = GET).
  var replaceUrl = document.body.getAttribute('data-replace-url');
  if (replaceUrl && window.history && history.replaceState) history.replaceState(null, '', replaceUrl);

  // A checkbox with data-controls shows the element it names only while it is ticked
  // (e.g. the Recertification sub-section only while expiration is enabled).
  var toggles = document.querySelectorAll('input[type=checkbox][data-controls]');
  Array.prototype.forEach.call(toggles, function (box) {
    var target = document.getElementById(box.getAttribute('data-controls'));
    if (!target) return;
    var sync = function () { target.hidden = !box.checked; };
    box.addEventListener('change', sync);
    sync();
  });

  // The note about the chosen course's own Course Enrollment message follows the dropdown.
  var course = document.getElementById('recertification-course');
  var note = document.getElementById('enrollment-note');
  if (course && note) {
    course.addEventListener('change', function () {
      var opt = course.options[course.selectedIndex];
      var title = opt && opt.value ? opt.getAttribute('data-title') : null;
      var subject = opt ? opt.getAttribute('data-enrollment-subject') : null;
      var text = !title ? note.getAttribute('data-none') : subject ? note.getAttribute('data-with') : note.getAttribute('data-without');
      note.textContent = (text || '').replace('{course}', title || '').replace('{subject}', subject || '');
    });
  }

  // Selects marked data-autosubmit submit their form on change.
  Array.prototype.forEach.call(document.querySelectorAll('select[data-autosubmit]'), function (sel) {
    sel.addEventListener('change', function () { if (sel.form) sel.form.submit(); });
  });
})();
