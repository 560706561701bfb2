/**
 * imex's data converter: the Temporal SDK's JSON payloads, then the encryption codec, and failure
 * messages kept inside the encrypted payloads. Workers (through the imex plugin) and every client
 * that talks to imex's workflows use the same one; a client without it sees ciphertext.
 */
import type { DataConverter } from '@temporalio/common';
import type { Keyring } from '../crypto/keyring';
import { EncryptionCodec } from './encryption-codec';

/** Bundled into the workflow code too (workflow-bundle.ts): the sandbox encodes workflow failures. */
export const imexFailureConverterPath = require.resolve('./failure-converter');

/** The converter for a keyring; without one, payloads stay plain (tests, benchmarks of the bare cost). */
export function imexDataConverter(keyring: Keyring | undefined): DataConverter {
  return withImexEncryption(undefined, keyring);
}

/**
 * Adds imex's codec after the codecs already there (encryption is the last step before the wire)
 * and imex's failure converter unless another was chosen.
 */
export function withImexEncryption(existing: DataConverter | undefined, keyring: Keyring | undefined): DataConverter {
  return {
    ...existing,
    failureConverterPath: existing?.failureConverterPath ?? imexFailureConverterPath,
    payloadCodecs: [...(existing?.payloadCodecs ?? []), ...(keyring ? [new EncryptionCodec(keyring)] : [])],
  };
}
