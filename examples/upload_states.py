# After an epoch: run the LSTM over the validation text and upload its states to Statescope.
import io, json, os, tarfile, time
import numpy as np, requests, torch

API = f"{os.environ['STATESCOPE_SERVER']}/api/v1/workspaces/{os.environ['STATESCOPE_WORKSPACE']}"
AUTH = {"Authorization": "Bearer " + os.environ["STATESCOPE_TOKEN"]}  # a write token

def upload_states(model, vocab, text, name):
    ids = [vocab.index(c) for c in text]
    with torch.no_grad():
        states, _ = model.lstm(model.emb(torch.tensor([ids])))  # (1, T, hidden): last layer
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        def add(path, data):
            info = tarfile.TarInfo(f"{name}/{path}"); info.size = len(data); tar.addfile(info, io.BytesIO(data))
        for path, array in {"ids.npy": np.array(ids), "states1.npy": states[0].numpy()}.items():
            out = io.BytesIO(); np.save(out, array); add(path, out.getvalue())
        add("vocab.json", json.dumps(vocab).encode())
    r = requests.post(f"{API}/datasets", headers=AUTH, data={"name": name}, files={"file": (f"{name}.tar.gz", buf.getvalue())})
    r.raise_for_status()
    while (d := requests.get(f"{API}/datasets/{r.json()['datasetId']}", headers=AUTH).json())["status"] == "IMPORTING":
        time.sleep(1)
    return d  # "READY" with steps and sources, or "FAILED" with the reason in "error"
