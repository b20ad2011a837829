// Express 4 under the alias `express4` has no types of its own; the test drives it through the
// API both majors share, so Express's current types describe it well enough.
declare module 'express4' {
  import express from 'express'
  export default express
}
