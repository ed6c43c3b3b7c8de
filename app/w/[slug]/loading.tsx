/** Shown at once while a workspace page renders (navigation from the list or after creating one). */
export default function WorkspaceLoading() {
  return (
    <p className="muted" role="status">
      Opening the workspace…
    </p>
  );
}
