// The generated router.js mounted in Express, as a user would: `app.use(router)`.
import express from 'express'

const { default: router } = await import(process.argv[2])
const app = express()
app.use(router)
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
