// OBJECT_STORE_URL's grammar: s3://[key:secret@]bucket[/prefix]?endpoint=…&region=…
import { describe, expect, it } from 'vitest'
import { describeS3Location, InvalidS3Location, parseS3Location } from '../../../src/storage/s3/location.js'

describe('parseS3Location', () => {
  it('reads the bucket, the prefix, the endpoint and the region', () => {
    expect(parseS3Location('s3://ledger/prod/objects-a?endpoint=http://127.0.0.1:7480&region=eu-west-1')).toEqual({
      bucket: 'ledger', prefix: 'prod/objects-a', endpoint: 'http://127.0.0.1:7480', region: 'eu-west-1',
    })
  })

  it('defaults to the bucket root, no endpoint (AWS) and us-east-1', () => {
    expect(parseS3Location('s3://ledger')).toEqual({ bucket: 'ledger', prefix: '', region: 'us-east-1' })
    expect(parseS3Location('s3://ledger/')).toEqual({ bucket: 'ledger', prefix: '', region: 'us-east-1' })
    expect(parseS3Location('s3://ledger//a/b//')).toMatchObject({ prefix: 'a/b' })
  })

  it('takes percent-encoded keys from the user part, and an encoded endpoint', () => {
    expect(parseS3Location('s3://AKID:se%2Fcr%3Det@ledger/p?endpoint=https%3A%2F%2Fs3.example.com')).toEqual({
      bucket: 'ledger', prefix: 'p', endpoint: 'https://s3.example.com', region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'se/cr=et' },
    })
  })

  it.each([
    ['http://ledger/p', /scheme http: is not s3:/],
    ['not a url', /not a URL/],
    ['s3://Ledger_Bucket/p', /not a valid bucket name/],
    ['s3://ab', /not a valid bucket name/],
    ['s3://ledger:9000/p', /port belongs in the endpoint/],
    ['s3://ledger/p?endpont=http://x', /unknown parameter "endpont"/],
    ['s3://ledger/p?endpoint=ftp://x', /is not http\(s\)/],
    ['s3://ledger/p?endpoint=http://x/path', /bare scheme:\/\/host:port/],
    ['s3://ledger/p?endpoint=nope', /is not a URL/],
    ['s3://AKID@ledger/p', /both an access key id and a secret/],
    ['s3://ledger/a/%2E%2E/b', /\. or \.\. segment/],
    ['s3://ledger/a/../b', /\. or \.\. segment/],
  ])('refuses %s', (text, reason) => {
    expect(() => parseS3Location(text)).toThrow(InvalidS3Location)
    expect(() => parseS3Location(text)).toThrow(reason)
  })

  it('describes a location without its secret', () => {
    const location = parseS3Location('s3://AKID:secret@ledger/prod?endpoint=http://127.0.0.1:7480')
    expect(describeS3Location(location)).toBe('s3://ledger/prod at http://127.0.0.1:7480')
    expect(describeS3Location(parseS3Location('s3://ledger'))).toBe('s3://ledger')
  })
})
