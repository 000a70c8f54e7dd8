import { createHash } from 'node:crypto';
import { OID, readCsr, readSpki, type Spki } from './x509.js';

/** The SM2 curve (GM/T 0003.5, the namedCurve of an SM2 id-ecPublicKey). */
export const SM2_CURVE_OID = '1.2.156.10197.1.301';
/**
 * The distinguishing identifier GM/T 0009 prescribes when none is agreed. Node (OpenSSL 3.0)
 * signs and verifies with an empty identifier instead, and so does `openssl req` 3.0 unless
 * given `-sigopt distid:…`; other SM2 stacks use this one. Both prove possession of the key.
 */
export const SM2_DEFAULT_ID = new TextEncoder().encode('1234567812345678');

/** DER of the OBJECT IDENTIFIER {@link SM2_CURVE_OID}: the parameters of an SM2 id-ecPublicKey. */
const SM2_CURVE_PARAMETERS = Buffer.from('06082a811ccf5501822d', 'hex');

const hex = (value: string): bigint => BigInt(`0x${value}`);
const P = hex('FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF');
const A = hex('FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC');
const B = hex('28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93');
const N = hex('FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');
const G: Point = {
  x: hex('32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7'),
  y: hex('BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0'),
};

interface Point {
  x: bigint;
  y: bigint;
}

/**
 * The public point of an SM2 key, given its DER SubjectPublicKeyInfo (id-ecPublicKey on the SM2
 * curve); undefined for any other key. Throws when `spkiDer` is not a SubjectPublicKeyInfo.
 */
export function sm2PublicKeyPoint(spkiDer: Uint8Array): Uint8Array | undefined {
  return pointOf(readSpki(spkiDer));
}

/**
 * Proof of possession for a PKCS#10 request (DER) that carries an SM2 key: its signature is
 * SM2-with-SM3 by that key, under the GM/T default identifier or OpenSSL's empty one. False for a
 * request that does not parse, carries another kind of key or is signed with another algorithm.
 */
export function verifySm2Csr(csrDer: Uint8Array): boolean {
  try {
    const { tbs, spki, signature, signatureAlgorithm } = readCsr(csrDer);
    const point = pointOf(readSpki(spki));
    if (signatureAlgorithm !== OID.sm2WithSm3 || point === undefined) return false;
    return verifySm2(tbs, point, signature, SM2_DEFAULT_ID) || verifySm2(tbs, point, signature, new Uint8Array(0));
  } catch {
    return false;
  }
}

function pointOf({ algorithm, parameters, publicKey }: Spki): Uint8Array | undefined {
  if (algorithm !== OID.ecPublicKey || parameters === undefined) return undefined;
  return Buffer.from(parameters).equals(SM2_CURVE_PARAMETERS) ? publicKey : undefined;
}

/**
 * Verifies an SM2 signature (DER `SEQUENCE { r, s }`) of `message` by the public key `point`
 * (an SEC 1 point, as in the SubjectPublicKeyInfo) with distinguishing identifier `id`.
 *
 * Node cannot verify with an identifier of our choosing, hence this arithmetic. Everything it
 * touches is public (key, message, signature), so it need not run in constant time; signing,
 * which involves the private key, stays in OpenSSL.
 */
export function verifySm2(message: Uint8Array, point: Uint8Array, signature: Uint8Array, id: Uint8Array): boolean {
  const publicKey = decodePoint(point);
  const rs = decodeSignature(signature);
  if (publicKey === undefined || rs === undefined) return false;
  const { r, s } = rs;
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const t = (r + s) % N;
  if (t === 0n) return false;
  const sum = add(multiply(s, G), multiply(t, publicKey));
  if (sum === undefined) return false;
  const z = identityHash(id, publicKey);
  const e = BigInt(`0x${createHash('sm3').update(z).update(message).digest('hex')}`);
  return (e + sum.x) % N === r;
}

/** Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA), which SM2 hashes in front of the message. */
function identityHash(id: Uint8Array, publicKey: Point): Buffer {
  const bits = id.length * 8;
  return createHash('sm3')
    .update(Uint8Array.of(bits >> 8, bits & 0xff))
    .update(id)
    .update(Buffer.concat([A, B, G.x, G.y, publicKey.x, publicKey.y].map(bytes32)))
    .digest();
}

/** An uncompressed (04) or compressed (02/03) point on the curve; undefined otherwise. */
function decodePoint(bytes: Uint8Array): Point | undefined {
  const x = bytes.length >= 33 ? toBigInt(bytes.subarray(1, 33)) : -1n;
  if (x < 0n || x >= P) return undefined;
  let y: bigint;
  if (bytes[0] === 0x04 && bytes.length === 65) {
    y = toBigInt(bytes.subarray(33));
  } else if ((bytes[0] === 0x02 || bytes[0] === 0x03) && bytes.length === 33) {
    // p ≡ 3 (mod 4): the square root is a power.
    y = power(mod(x * x * x + A * x + B), (P + 1n) / 4n);
    if ((y & 1n) !== BigInt(bytes[0] & 1)) y = mod(-y);
  } else {
    return undefined;
  }
  return mod(y * y - (x * x * x + A * x + B)) === 0n ? { x, y } : undefined;
}

/** A strict DER `SEQUENCE { INTEGER r, INTEGER s }` with short lengths, as 256-bit keys give. */
function decodeSignature(der: Uint8Array): { r: bigint; s: bigint } | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const integers: bigint[] = [];
  let offset = 2;
  while (offset < der.length) {
    const length = der[offset + 1] ?? 0;
    if (der[offset] !== 0x02 || length === 0 || length > 33 || offset + 2 + length > der.length) return undefined;
    integers.push(toBigInt(der.subarray(offset + 2, offset + 2 + length)));
    offset += 2 + length;
  }
  const [r, s] = integers;
  return integers.length === 2 && r !== undefined && s !== undefined ? { r, s } : undefined;
}

function add(p: Point | undefined, q: Point | undefined): Point | undefined {
  if (p === undefined) return q;
  if (q === undefined) return p;
  let slope: bigint;
  if (p.x === q.x) {
    if (mod(p.y + q.y) === 0n) return undefined;
    slope = mod((3n * p.x * p.x + A) * inverse(2n * p.y));
  } else {
    slope = mod((q.y - p.y) * inverse(q.x - p.x));
  }
  const x = mod(slope * slope - p.x - q.x);
  return { x, y: mod(slope * (p.x - x) - p.y) };
}

function multiply(k: bigint, point: Point): Point | undefined {
  let result: Point | undefined;
  let addend: Point | undefined = point;
  for (let rest = k; rest > 0n; rest >>= 1n) {
    if (rest & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

function mod(value: bigint): bigint {
  const r = value % P;
  return r < 0n ? r + P : r;
}

/** Extended Euclid modulo the field prime. */
function inverse(value: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(value), P, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  for (let b = mod(base), e = exponent; e > 0n; e >>= 1n, b = mod(b * b)) {
    if (e & 1n) result = mod(result * b);
  }
  return result;
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function bytes32(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}
