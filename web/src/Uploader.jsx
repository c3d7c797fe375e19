// Uploads with Uppy: the Dashboard (drag and drop, a file picker, a progress bar per file, cancel and
// retry), AwsS3 through the presign API's Uppy routes (one presigned PUT for a small file, a multipart
// upload with parts in parallel for a large one), and Golden Retriever, which keeps unfinished uploads
// across a reload so that they resume from the parts already stored.
import { useEffect, useRef } from "react";
import Uppy from "@uppy/core";
import Dashboard from "@uppy/dashboard";
import AwsS3 from "@uppy/aws-s3";
import GoldenRetriever from "@uppy/golden-retriever";
import "@uppy/core/css/style.min.css";
import "@uppy/dashboard/css/style.min.css";
import { accessToken, describe, SessionExpired } from "./api.js";

const MiB = 1024 * 1024;
/** Files above this go up in parts, several at once. */
const MULTIPART_ABOVE = 16 * MiB;
/** What the browser's storage holds of files still uploading, so a reload does not lose them. */
const KEEP_FILE_BYTES = 256 * MiB;
const KEEP_TOTAL_BYTES = 1024 * MiB;
/** The token is re-read this often, so a long upload never signs with an expired one. */
const TOKEN_REFRESH_MS = 4 * 60 * 1000;

export function Uploader({ config, user, onUploaded, onError }) {
  const target = useRef(null);
  const callbacks = useRef({ onUploaded, onError });
  callbacks.current = { onUploaded, onError };

  useEffect(() => {
    const uppy = new Uppy({
      // One store per user, so that files restored after a reload are only ever their own.
      id: `uploads-${user.sub}`,
      autoProceed: true,
      restrictions: { maxFileSize: config.maxUploadBytes },
    });
    uppy.use(Dashboard, {
      inline: true,
      target: target.current,
      width: "100%",
      height: 340,
      theme: "auto",
      proudlyDisplayPoweredByUppy: false,
      showProgressDetails: true,
      showRemoveButtonAfterComplete: true,
      note: "Files go to your private space; only you can read them.",
    });
    uppy.use(AwsS3, {
      id: "AwsS3",
      endpoint: config.presign,
      headers: {},
      shouldUseMultipart: (file) => (file.size ?? 0) > MULTIPART_ABOVE,
      limit: 4,
    });
    // Files up to KEEP_FILE_BYTES are kept in the browser's storage and go on by themselves after a
    // reload; a larger one comes back as a placeholder that asks for the same file again, and then
    // resumes from the parts already stored.
    uppy.use(GoldenRetriever, {
      serviceWorker: false,
      indexedDB: { maxFileSize: KEEP_FILE_BYTES, maxTotalSize: KEEP_TOTAL_BYTES },
    });

    // The Dashboard marks each file as a list item, but with a single file it leaves their container
    // without its list role, so a screen reader would not announce a list; give it one.
    const listRole = new MutationObserver(() => {
      for (const list of target.current?.querySelectorAll(".uppy-Dashboard-files:not([role])") ?? []) {
        list.setAttribute("role", "list");
      }
    });
    listRole.observe(target.current, { childList: true, subtree: true });

    const aws = uppy.getPlugin("AwsS3");
    let stopped = false;
    const refreshToken = async () => {
      const token = await accessToken();
      if (!stopped) aws.setOptions({ headers: { authorization: token } });
    };
    uppy.addPreProcessor(() => refreshToken());
    const timer = setInterval(() => refreshToken().catch(() => {}), TOKEN_REFRESH_MS);
    refreshToken().catch((error) => callbacks.current.onError(error));

    uppy.on("upload-success", (file) => callbacks.current.onUploaded(file));
    // A failure before any file is sent (the session could not be read, say).
    uppy.on("error", (error, file) => {
      console.error("upload failed", error);
      if (!file) callbacks.current.onError(error);
    });
    uppy.on("upload-error", (file, error, response) => {
      const status = response?.status ?? error?.source?.status;
      if (status === 401) {
        callbacks.current.onError(new SessionExpired());
      } else if (typeof navigator !== "undefined" && navigator.onLine === false) {
        uppy.info("You are offline: press Retry when the connection is back.", "error", 8000);
      } else {
        uppy.info(`${file?.name ?? "A file"} did not upload: ${describe(error)}`, "error", 8000);
      }
    });

    return () => {
      stopped = true;
      clearInterval(timer);
      listRole.disconnect();
      uppy.destroy();
    };
  }, [config, user.sub]);

  return (
    <section aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload</h2>
      <div ref={target} className="uploader" />
    </section>
  );
}
