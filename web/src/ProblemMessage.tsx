/** An error from the API or a client-side check, shown with its code (and, for server errors, the id to quote). */
export function ProblemMessage(props: {
  problem: { code: string; message: string; errorId?: string | null | undefined };
}) {
  return (
    <p className="problem" role="alert">
      <code className="code">{props.problem.code}</code> {props.problem.message}
      {props.problem.errorId ? <ErrorId id={props.problem.errorId} /> : null}
    </p>
  );
}

/** The id under which the server logged an error: the user quotes it to an operator. */
export function ErrorId({ id }: { id: string }) {
  return (
    <span className="error-id">
      {' '}
      Error id <code>{id}</code> (quote it when you report the problem).
    </span>
  );
}
