/** A data loss the store detected and handled. */
export interface DataLossEvent {
  /** `emptied`: the data set is gone; `rolled-back`: it is older than one seen before. */
  readonly cause: 'emptied' | 'rolled-back'
  /** What the store did: raised the global epoch, or fails closed until acknowledged. */
  readonly action: 'bump-epoch' | 'fail-closed'
  /** When it was handled (ms). */
  readonly at: number
  /** For `bump-epoch`: the new epoch (every token issued at or before it is rejected). */
  readonly epoch?: number
}
