import { flagName } from './config-variables.js'

/** A configuration value that cannot be used; `variable` names it. */
export class ConfigError extends Error {
  readonly variable: string
  constructor(variable: string, message: string) {
    super(`${variable} (--${flagName(variable)}) ${message}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}
