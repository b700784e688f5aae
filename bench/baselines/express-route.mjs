// A hand-written Express 5 route doing the same work: the baseline of the generated router.
import express from 'express'

const app = express()
app.post('/femto/add', express.json(), (req, res) => {
  const [a, b] = req.body
  res.json(a + b)
})
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
