import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import S3rver from 's3rver'
import { freePort, listening } from './scaleOut'

export interface TestS3 {
  endpoint: string
  bucket: string
  /** The environment that points the app at this store. */
  env: Record<string, string>
  close(): Promise<void>
}

/**
 * A real S3 server for the tests (s3rver, from npm: the S3 REST API over HTTP, objects in a temporary
 * folder), on a free port of 127.0.0.1, with one bucket. Path-style addresses, fixed credentials.
 */
export async function startS3(bucket = 'mes-documents-test'): Promise<TestS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-s3-'))
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket }] })
  const address = await server.run()
  const endpoint = `http://127.0.0.1:${address.port}`
  return {
    endpoint,
    bucket,
    env: {
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_REGION: 'us-east-1',
    },
    async close() {
      await server.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * The same S3 server in a process of its own (its CLI): for a benchmark, so that the server's memory
 * and event loop are not counted as the app's.
 */
export async function startS3Process(bucket = 'mes-documents-banc'): Promise<TestS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-s3-'))
  const port = await freePort()
  const bin = path.join(path.dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js')
  const child = spawn(process.execPath, [bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '-s', '--configure-bucket', bucket], {
    stdio: 'ignore',
  })
  await listening(port, child, 15_000)
  const endpoint = `http://127.0.0.1:${port}`
  return {
    endpoint,
    bucket,
    env: { S3_BUCKET: bucket, S3_ENDPOINT: endpoint, S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_REGION: 'us-east-1' },
    async close() {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill()
      await exited
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
