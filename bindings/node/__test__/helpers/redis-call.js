'use strict'
// One sidecar replica: its own process, its own client, the shared Redis token store; ten
// concurrent HOLDs. Run by redis.test.js.
const { OzonetelClient } = require('../../index.js')
const { clientOptions, agentOf } = require('./sim.js')

const sim = JSON.parse(process.env.SIM_URLS)
const oz = new OzonetelClient(
  clientOptions(sim, { accountStore: { redisUrl: process.env.REDIS_URL, prefix: process.env.PREFIX } }),
)
const agent = agentOf(oz)
Promise.all(Array.from({ length: 10 }, () => agent.hold(process.env.UCID)))
  .then((results) => console.log(`holds=${results.filter((r) => r.status === 'Success').length}`))
  .catch((e) => {
    console.error(e)
    process.exitCode = 1
  })
