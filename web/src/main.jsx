// The upload page's entry: the user's files once signed in.
import { start } from "./boot.jsx";
import { App } from "./App.jsx";
// After the upload widget's styles (imported by App), so that the page's corrections to them win.
import "./styles.css";

start((config) => <App config={config} />);
