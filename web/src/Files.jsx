// The user's files (name, size, date, download, delete) and their upload history.
import { useCallback, useEffect, useState } from "react";
import { deleteFile, describe, downloadUrl, formatBytes, formatDate, isSessionExpired, listFiles, listUploadJobs } from "./api.js";
import { Uploader } from "./Uploader.jsx";

export function Files({ config, user, onExpired }) {
  const [files, setFiles] = useState(null);
  const [jobs, setJobs] = useState(null);
  const [error, setError] = useState(null);
  const [status, setStatus] = useState(null);
  const [busy, setBusy] = useState(null);

  const fail = useCallback(
    (caught) => {
      if (isSessionExpired(caught)) {
        onExpired();
      } else {
        setError(describe(caught));
      }
    },
    [onExpired],
  );

  const reload = useCallback(async () => {
    try {
      const [listed, history] = await Promise.all([listFiles(config), listUploadJobs(config)]);
      setFiles(listed);
      setJobs(history);
      setError(null);
    } catch (caught) {
      fail(caught);
    }
  }, [config, fail]);

  useEffect(() => {
    reload();
  }, [reload]);

  const download = async (file) => {
    setBusy(file.key);
    try {
      const url = await downloadUrl(config, file.name);
      const link = document.createElement("a");
      link.href = url;
      link.download = file.name.split("/").pop();
      link.rel = "noopener";
      document.body.append(link);
      link.click();
      link.remove();
      setStatus(`Downloading ${file.name}.`);
    } catch (caught) {
      fail(caught);
    } finally {
      setBusy(null);
    }
  };

  const remove = async (file) => {
    setBusy(file.key);
    try {
      await deleteFile(config, file);
      setStatus(`Deleted ${file.name}.`);
      await reload();
    } catch (caught) {
      fail(caught);
    } finally {
      setBusy(null);
    }
  };

  return (
    <main className="content">
      <Uploader
        config={config}
        user={user}
        onUploaded={(file) => {
          setStatus(`Uploaded ${file.name}.`);
          reload();
        }}
        onError={fail}
      />

      <section aria-labelledby="files-heading">
        <div className="section-head">
          <h2 id="files-heading">My files</h2>
          <button type="button" className="secondary" onClick={reload}>
            Refresh
          </button>
        </div>
        {error && (
          <p role="alert" className="message error">
            {error}
          </p>
        )}
        <p role="status" className="message info" hidden={!status}>
          {status}
        </p>
        {files === null ? (
          <p>Loading your files…</p>
        ) : files.length === 0 ? (
          <p>No files yet. Drop one above to upload it.</p>
        ) : (
          <ul className="files" aria-label="My files">
            {files.map((file) => (
              <li key={file.key} className="file">
                <span className="name">{file.name}</span>
                <span className="size">{formatBytes(file.size)}</span>
                <span className="date">{formatDate(file.modified)}</span>
                <span className="actions">
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Download ${file.name}`}
                    disabled={busy === file.key}
                    onClick={() => download(file)}
                  >
                    Download
                  </button>
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Delete ${file.name}`}
                    disabled={busy === file.key}
                    onClick={() => remove(file)}
                  >
                    Delete
                  </button>
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="history-heading">
        <h2 id="history-heading">Upload history</h2>
        {jobs === null ? (
          <p>Loading the history…</p>
        ) : jobs.length === 0 ? (
          <p>Nothing uploaded yet.</p>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="history-heading">
            <table>
              <caption className="visually-hidden">Your uploads, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Status</th>
                  <th scope="col">Size</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {jobs.map((job) => (
                  <tr key={job.id}>
                    <td>{job.fileName ?? job.fileKey}</td>
                    <td>{job.status}</td>
                    <td>{job.size == null ? "" : formatBytes(job.size)}</td>
                    <td>{job.uploadedOn ? formatDate(new Date(job.uploadedOn)) : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </main>
  );
}
