// Starts the Swagger UI of /swagger: a file, not an inline script, so that the page's
// Content-Security-Policy can allow scripts from the API itself only. The page names the OpenAPI
// document's URL on the <script> element that loads this file.
window.ui = SwaggerUIBundle({
  url: document.currentScript.dataset.openapi,
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null, // no badge image from validator.swagger.io (it would send it this API's URL)
});
