/** Previous / next buttons around the page number. */
export function Pager(props: {
  label: string;
  page: number;
  hasPrevious: boolean;
  hasNext: boolean;
  previousText: string;
  nextText: string;
  onPrevious: () => void;
  onNext: () => void;
}) {
  return (
    <nav className="pager" aria-label={props.label}>
      <button type="button" className="button secondary small" disabled={!props.hasPrevious} onClick={props.onPrevious}>
        {props.previousText}
      </button>
      <span className="muted">Page {props.page}</span>
      <button type="button" className="button secondary small" disabled={!props.hasNext} onClick={props.onNext}>
        {props.nextText}
      </button>
    </nav>
  );
}
