"use client";
import { useCallback, useRef, useState } from "react";

interface UploadState {
  fileName: string;
  percent: number;
}

/** Drag-and-drop (or pick) a .zip / .tar.gz project; shows upload progress; reports the new dataset id. */
export function UploadDropZone({ slug, onStarted }: { slug: string; onStarted: (datasetId: string) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [upload, setUpload] = useState<UploadState | null>(null);
  const [error, setError] = useState<string | null>(null);

  const send = useCallback(
    (file: File) => {
      setError(null);
      if (!/\.(zip|tar\.gz|tgz|tar)$/i.test(file.name)) {
        setError(`"${file.name}" is not an accepted archive: upload the project folder as .zip or .tar.gz`);
        return;
      }
      setUpload({ fileName: file.name, percent: 0 });
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `/api/w/${encodeURIComponent(slug)}/datasets/upload`);
      xhr.setRequestHeader("x-file-name", file.name);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) setUpload({ fileName: file.name, percent: Math.round((e.loaded / e.total) * 100) });
      };
      xhr.onload = () => {
        setUpload(null);
        let body: { datasetId?: string; error?: { message?: string } } = {};
        try {
          body = JSON.parse(xhr.responseText) as typeof body;
        } catch {
          /* not JSON */
        }
        if (xhr.status >= 200 && xhr.status < 300 && body.datasetId) onStarted(body.datasetId);
        else setError(body.error?.message ?? `the upload failed (HTTP ${xhr.status})`);
      };
      xhr.onerror = () => {
        setUpload(null);
        setError("the upload was interrupted: check your connection and try again");
      };
      xhr.send(file);
    },
    [slug, onStarted],
  );

  return (
    <div>
      <div
        className={`drop-zone${over ? " over" : ""}`}
        role="button"
        tabIndex={0}
        aria-label="Upload a dataset archive"
        data-testid="drop-zone"
        onClick={() => input.current?.click()}
        onKeyDown={(e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            input.current?.click();
          }
        }}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const f = e.dataTransfer.files[0];
          if (f) send(f);
        }}
      >
        {upload ? (
          <div>
            <p>Uploading {upload.fileName}… {upload.percent}%</p>
            <progress max={100} value={upload.percent} aria-label="Upload progress" />
          </div>
        ) : (
          <p>
            <strong>Drop an LSTMVis project or NumPy folder here</strong> as <code>.zip</code> or <code>.tar.gz</code>, or click to choose a file.
          </p>
        )}
        <input
          ref={input}
          type="file"
          accept=".zip,.tar.gz,.tgz,.tar,application/zip,application/gzip"
          hidden
          data-testid="upload-input"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) send(f);
            e.target.value = "";
          }}
        />
      </div>
      {error ? <p className="error" role="alert">{error}</p> : null}
    </div>
  );
}
