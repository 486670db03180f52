/**
 * A software authenticator for the server-side tests: a real P-256 key pair, real CBOR and real
 * ECDSA signatures over what WebAuthn signs (authenticator data ‖ SHA-256 of the client data),
 * answering the options the desk sends as a browser with a passkey would. What the e2e does with
 * Chromium's virtual authenticator, this does over HTTP, and it can also answer wrongly on
 * purpose (no user verification, a counter that goes back, another origin).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Uint8Array | string): Buffer => createHash("sha256").update(data).digest();

/** Flags of the authenticator data (WebAuthn §6.1). */
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

interface CreationOptions {
  challenge: string;
  rp: { id?: string };
}
interface RequestOptions {
  challenge: string;
  rpId?: string;
}

export interface AnswerTweaks {
  /** Leave the user-verified flag off (a security key touched without its PIN). */
  withoutUserVerification?: boolean;
  /** Sign with this counter instead of the next one. */
  signCount?: number;
  /** The origin the "browser" puts in the client data. */
  origin?: string;
}

export class SoftwareAuthenticator {
  readonly credentialId = randomBytes(16);
  private readonly privateKey: KeyObject;
  private readonly coseKey: Uint8Array;
  private readonly userHandle = randomBytes(16);
  private counter = 0;

  constructor(private readonly origin: string) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: "jwk" });
    // COSE_Key of an EC2 P-256 key for ES256: kty 2, alg -7, crv 1, x, y.
    const key = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, isoBase64URL.toBuffer(jwk.x!)],
      [-3, isoBase64URL.toBuffer(jwk.y!)],
    ]);
    this.coseKey = isoCBOR.encode(key);
  }

  get id(): string {
    return b64url(this.credentialId);
  }

  private clientData(type: string, challenge: string, tweaks: AnswerTweaks): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: tweaks.origin ?? this.origin, crossOrigin: false }));
  }

  private authData(rpId: string, flags: number, signCount: number, attested?: Uint8Array): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(signCount);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  /** The answer of `navigator.credentials.create` to the desk's registration options, as JSON. */
  register(options: CreationOptions, tweaks: AnswerTweaks = {}): string {
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, this.coseKey]);
    const flags = UP | AT | (tweaks.withoutUserVerification ? 0 : UV);
    const authData = this.authData(options.rp.id!, flags, this.counter, attested);
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]) as Parameters<typeof isoCBOR.encode>[0]);
    return JSON.stringify({
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: { clientDataJSON: b64url(this.clientData("webauthn.create", options.challenge, tweaks)), attestationObject: b64url(attestationObject), transports: ["internal"] },
      clientExtensionResults: {},
    });
  }

  /** The answer of `navigator.credentials.get` to the desk's assertion options, as JSON; the counter moves on unless `signCount` says otherwise. */
  assert(options: RequestOptions, tweaks: AnswerTweaks = {}): string {
    const signCount = tweaks.signCount ?? ++this.counter;
    const authData = this.authData(options.rpId!, UP | (tweaks.withoutUserVerification ? 0 : UV), signCount);
    const clientData = this.clientData("webauthn.get", options.challenge, tweaks);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientData)]), this.privateKey);
    return JSON.stringify({
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(signature), userHandle: b64url(this.userHandle) },
      clientExtensionResults: {},
    });
  }
}
