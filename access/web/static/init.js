// Start GOV.UK Frontend's components (the page works without it).
import { initAll } from '/govuk/govuk-frontend.min.js'
initAll()
