'use strict'
// One small call, end to end, as a standalone program (run as a child process or a worker by
// lifecycle.test.js). It never calls process.exit(): it must end because nothing is left.
const { OzonetelClient, LiveAssist } = require('../../index.js')
const { clientOptions, agentOf, assistConfig, frames } = require('./sim.js')

const sim = JSON.parse(process.env.SIM_URLS)
;(async () => {
  const events = []
  const assist = await LiveAssist.start(assistConfig(sim, { suggestions: null }), (e) => events.push(e))
  for (const frame of frames(5)) assist.sendAudio(frame)
  const summary = await assist.stop()
  const oz = new OzonetelClient(clientOptions(sim))
  const held = await agentOf(oz).hold(process.env.UCID)
  const watcher = oz.watchMissedCalls({ intervalMs: 100 })
  const first = watcher.next()
  await watcher.return()
  await first
  const finals = events.filter((e) => e.type === 'transcript' && e.isFinal).length
  console.log(
    `finals=${finals} suggestions=${summary.suggestions.length} hold=${held.status} watcher=done`,
  )
})().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
