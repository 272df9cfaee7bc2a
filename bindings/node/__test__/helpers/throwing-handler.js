'use strict'
// A host whose onEvent throws on every event. With HANDLED=1 it catches the uncaught
// exceptions (process.on('uncaughtException')) and prints what happened; without it, Node
// ends the process at the first throw, as it does for a throwing EventEmitter listener.
const { LiveAssist } = require('../../index.js')
const { assistConfig, frames } = require('./sim.js')

const sim = JSON.parse(process.env.SIM_URLS)
let uncaught = 0
if (process.env.HANDLED) process.on('uncaughtException', () => uncaught++)

;(async () => {
  const types = []
  const assist = await LiveAssist.start(assistConfig(sim, { suggestions: null }), (event) => {
    types.push(event.type)
    throw new Error(`handler bug on ${event.type}`)
  })
  for (const frame of frames(6)) assist.sendAudio(frame)
  const summary = await assist.stop()
  // No process.exit(): the process must end by itself (nothing of the session left behind).
  console.log(JSON.stringify({ uncaught, delivered: types.length, last: types.at(-1), complete: summary.complete }))
})()
