export default async function WorkspaceHome({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  return (
    <section className="card" aria-labelledby="datasets-heading">
      <h2 id="datasets-heading" style={{ marginTop: 0 }}>Datasets</h2>
      <div className="empty" data-testid="datasets-empty">
        <h2>No datasets in this workspace yet</h2>
        <p>
          A dataset is a token stream with the hidden states a recurrent model produced while reading it.
          Import an existing LSTMVis project folder (its <code>lstm.yml</code>, HDF5 and <code>.dict</code> files) or NumPy arrays
          from the command line:
        </p>
        <pre>npx statescope import path/to/project --workspace {slug}</pre>
        <p>Every member of this workspace will see it here as soon as the import finishes.</p>
      </div>
    </section>
  );
}
