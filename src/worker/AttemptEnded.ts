/**
 * Thrown inside an attempt when it may not go on: the task was cancelled, or another attempt took over (its job
 * expired and was taken up again). The attempt stops quietly; whoever ended it has already written the outcome.
 */
export class AttemptEnded extends Error {
  override name = 'AttemptEnded';
}
