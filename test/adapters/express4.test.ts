// The same adapter suite on Express 4 (installed as the alias `express4`): the middleware only
// uses what both majors have, and Express 4 ignores a returned promise, so a rejection that the
// middleware did not handle itself would hang the request here instead of failing it.
import express4 from 'express4'
import { expressSuiteApp } from './express-app.js'
import { adapterSuite } from './suite.js'

adapterSuite('Express 4', expressSuiteApp(express4), { refresh: true })
