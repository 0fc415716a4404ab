/**
 * Records a group has still to read in one partition: from its committed offset to the end, or
 * from the log start when it committed nothing yet (or only records retention already deleted,
 * which are not lag). Both Kafka clients' `consumerLag` count it so.
 */
export function lagBehind(end: bigint, logStart: bigint, committed: bigint | undefined): number {
  const from = committed === undefined || committed < logStart ? logStart : committed;
  return Number(end - from);
}
