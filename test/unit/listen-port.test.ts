import { afterEach, describe, expect, it } from 'vitest'
import { cannotListenLine, listenAddress } from '../../src/runtime/server/port'

// The one line a service that cannot listen ends with: the address, why, where the port came from, what to change.

const saved = { PORT: process.env.PORT, HOST: process.env.HOST }
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined)
      delete process.env[key]
    else
      process.env[key] = value
  }
})

const failure = (code: string, message = code): NodeJS.ErrnoException => Object.assign(new Error(message), { code })

describe('where a service listens', () => {
  it('takes the manifest port on every interface when PORT and HOST are unset, and names femto.json', () => {
    delete process.env.PORT
    delete process.env.HOST
    const address = listenAddress('record', 7042)
    expect(address).toMatchObject({ port: 7042, host: '0.0.0.0' })
    expect(cannotListenLine('record', address, failure('EADDRINUSE'))).toBe('[femto] record cannot listen on 0.0.0.0:7042: another process already listens on that port (EADDRINUSE). The port came from femto.json (record\'s port, from the basePort option and a hash of its name); set PORT to another port (PORT=0: any free one), or change basePort and rebuild.')
  })

  it('takes PORT and HOST over it, and names PORT', () => {
    process.env.PORT = '80'
    process.env.HOST = '127.0.0.1'
    const address = listenAddress('record', 7042)
    expect(address).toMatchObject({ port: 80, host: '127.0.0.1' })
    expect(cannotListenLine('record', address, failure('EACCES'))).toBe('[femto] record cannot listen on 127.0.0.1:80: not allowed to (EACCES; ports below 1024 need privileges). The port came from PORT=80; set PORT to another port (PORT=0: any free one).')
    expect(cannotListenLine('record', address, failure('EADDRNOTAVAIL'))).toBe('[femto] record cannot listen on 127.0.0.1:80: HOST=127.0.0.1 is not an address of this machine (EADDRNOTAVAIL); set HOST to one of its addresses, or unset it for 0.0.0.0')
    expect(cannotListenLine('record', address, failure('EMFILE', 'too many open files'))).toBe('[femto] record cannot listen on 127.0.0.1:80: too many open files. The port came from PORT=80; set PORT to another port (PORT=0: any free one).')
  })

  it('refuses a PORT that is no port, naming it and the manifest port', () => {
    for (const bad of ['eighty', '-1', '65536', '80.5', '0x50']) {
      process.env.PORT = bad
      expect(() => listenAddress('record', 7042), bad).toThrow(`[femto] record cannot start: PORT='${bad}' is not a port number (0-65535); set PORT to one (PORT=0: any free one), or unset it to listen on the manifest port 7042`)
    }
    process.env.PORT = '0'
    expect(listenAddress('record', 7042).port).toBe(0)
  })
})
