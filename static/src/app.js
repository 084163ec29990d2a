// Starts GOV.UK Frontend's components. Loaded as a module, so browsers too old
// for it simply get the plain HTML pages, which work on their own.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
