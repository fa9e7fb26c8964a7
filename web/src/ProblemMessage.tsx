/** An error from the API or a client-side check, shown with its code. */
export function ProblemMessage(props: { problem: { code: string; message: string } }) {
  return (
    <p className="problem" role="alert">
      <code className="code">{props.problem.code}</code> {props.problem.message}
    </p>
  );
}
