import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { loadConfig } from "./config.js";
import { App } from "./App.jsx";
import "./styles.css";

const root = createRoot(document.getElementById("root"));

loadConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    ),
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
