/** SMTP connection configuration and Make's categories for SMTP failures (pure). */
import {
  DEFAULT_SMTP_CONNECTION,
  parseSmtpConnections,
  SmtpConnectionFormatError,
  smtpErrorCategory,
} from '../../../src/modules';

describe('parseSmtpConnections', () => {
  test('IMEX_SMTP_URL is the default connection; from= becomes the sender and leaves the URL', () => {
    const connections = parseSmtpConnections(
      'smtps://u%40x:p%2Cw@mail.example.test:465?from=shop%40example.test',
      'billing=smtp://b:pw@127.0.0.1:2525?from=billing@example.test\n# a comment\nsupport=smtp://h:25',
    );
    expect([...connections.keys()]).toEqual([DEFAULT_SMTP_CONNECTION, 'billing', 'support']);
    expect(connections.get('default')).toEqual({
      name: 'default',
      url: 'smtps://u%40x:p%2Cw@mail.example.test:465',
      from: 'shop@example.test',
    });
    expect(connections.get('billing')?.from).toBe('billing@example.test');
    expect(connections.get('support')?.from).toBeUndefined();
  });

  test.each([
    ['http://h', undefined, /must be an smtp:\/\/ or smtps:\/\/ URL/],
    [undefined, 'a=smtp://h,a=smtp://h', /"a" is given twice/],
    [undefined, 'no-separator', /entry 1 is not "<name>=<smtp url>"/],
    [undefined, 'b@d=smtp://h', /connection name "b@d"/],
    [undefined, 'x=not a url', /connection "x" is not a URL/],
  ])('rejects %s / %s', (url, entries, message) => {
    expect(() => parseSmtpConnections(url, entries)).toThrow(SmtpConnectionFormatError);
    expect(() => parseSmtpConnections(url, entries)).toThrow(message);
  });

  test('an error never quotes the URL (it holds the password)', () => {
    expect(() => parseSmtpConnections('ftp://user:s3cret@h')).toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining('s3cret') as string,
      }) as Error,
    );
  });
});

describe('smtpErrorCategory', () => {
  test.each([
    [{ code: 'EAUTH', responseCode: 535 }, 'InvalidAccessTokenError'],
    [{ code: 'ENOAUTH' }, 'InvalidAccessTokenError'],
    [{ code: 'EENVELOPE', responseCode: 530 }, 'InvalidAccessTokenError'],
    [{ code: 'ETLS' }, 'InvalidConfigurationError'],
    [{ code: 'EENVELOPE', responseCode: 450 }, 'ConnectionError'],
    [{ code: 'EPROTOCOL', responseCode: 421 }, 'ConnectionError'],
    [{ code: 'EMESSAGE', responseCode: 452 }, 'ConnectionError'],
    [{ code: 'EENVELOPE', responseCode: 550 }, 'DataError'],
    [{ code: 'EENVELOPE', responseCode: 553 }, 'DataError'],
    [{ code: 'EMESSAGE', responseCode: 552 }, 'DataError'],
    [{ code: 'EMESSAGE', responseCode: 554 }, 'RuntimeError'],
    [{ code: 'ECONNECTION' }, 'ConnectionError'],
    [{ code: 'ETIMEDOUT' }, 'ConnectionError'],
    [{ code: 'ESOCKET' }, 'ConnectionError'],
    [{ code: 'EDNS' }, 'ConnectionError'],
    [{ code: 'EENVELOPE' }, 'DataError'],
  ])('%o → %s', (error, category) => {
    expect(smtpErrorCategory(Object.assign(new Error('smtp'), error))).toBe(category);
  });

  test('anything else is left to the default classifier', () => {
    expect(smtpErrorCategory(new Error('boom'))).toBeUndefined();
    expect(smtpErrorCategory('text')).toBeUndefined();
  });
});
