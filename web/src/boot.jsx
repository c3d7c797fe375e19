// Starts one page of this build (the upload page or the dashboard): loads the deployment's settings from
// the server, which also configures Amplify, then renders what `page` makes of them, or says why the
// settings could not be loaded.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { loadConfig } from "./config.js";

export function start(page) {
  const root = createRoot(document.getElementById("root"));
  loadConfig().then(
    (config) => root.render(<StrictMode>{page(config)}</StrictMode>),
    (error) =>
      root.render(
        <main className="card narrow">
          <h1>s3cognito</h1>
          <p role="alert" className="message error">
            The page could not load its settings from the server: {error.message}
          </p>
        </main>,
      ),
  );
}
