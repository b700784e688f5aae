import { expect, it } from 'vitest'
import { portableMarkers } from '../../src/core/build/second-pass'

it('names the runtime\'s files from the project and the shared build\'s without the way up to /', () => {
  const code = [
    '//#region some header',
    '// ../../../../femto-runtime/home/me/app/node_modules/unplugin-femto/dist/function-table-X.js',
    'const a = 1',
    '// ../../../../femto-runtime/home/me/app/node_modules/devalue/src/parse.js',
    '// ../../../../femto-services/modules/src/db.js',
    '// ../../../../femto-services/add.js',
    '// src/lib/femto-runtime/kept.js',
    'const b = "// ../femto-runtime/x"',
  ].join('\n')
  expect(portableMarkers(code, '/home/me/app')).toBe([
    '//#region some header',
    '// node_modules/unplugin-femto/dist/function-table-X.js',
    'const a = 1',
    '// node_modules/devalue/src/parse.js',
    '// femto-services/modules/src/db.js',
    '// femto-services/add.js',
    '// src/lib/femto-runtime/kept.js',
    'const b = "// ../femto-runtime/x"',
  ].join('\n'))
  // The same project in another folder: the same text.
  const elsewhere = code.replaceAll('home/me/app', 'builds/42/app').replaceAll('../../../../', '../../../../../')
  expect(portableMarkers(elsewhere, '/builds/42/app')).toBe(portableMarkers(code, '/home/me/app'))
})
