// The extract route: a model run or a demo corpus, queued as a worker job.
/** POSTs form data with upload progress; resolves with the new dataset id or rejects with the server's message. */
export function postExtract(slug: string, data: FormData, onProgress: (percent: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/w/${encodeURIComponent(slug)}/datasets/extract`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 100));
    };
    xhr.onload = () => {
      let body: { datasetId?: string; error?: { message?: string } } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        /* not JSON */
      }
      if (xhr.status >= 200 && xhr.status < 300 && body.datasetId) resolve(body.datasetId);
      else reject(new Error(body.error?.message ?? `the upload failed (HTTP ${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error("the upload was interrupted: check your connection and try again"));
    xhr.send(data);
  });
}
