// Signing in with the deployment's OpenID Connect issuer, where it has one: the authorization-code
// flow with PKCE (S256) of a public client, whose ID token is the bearer token the API checks. The
// verifier, state and nonce live in this tab's sessionStorage until the issuer sends the user back.
import { API, token } from './api.js';

const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || '';
const issuer = meta('flyte-oidc-issuer').replace(/\/$/, '');
const clientId = meta('flyte-oidc-client-id');

/** The issuer the page was served with, or null (then tokens are pasted). */
export const OIDC = issuer && clientId ? { issuer, clientId, host: new URL(issuer).host } : null;

const PENDING = 'flyte.console.signIn';
const REDIRECT_URI = `${API}console/`;

const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const randomText = (size) => base64url(crypto.getRandomValues(new Uint8Array(size)));

function claimsOf(jwt) {
  const part = jwt.split('.')[1] || '';
  const padded = part.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (part.length % 4)) % 4);
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(padded), (c) => c.charCodeAt(0))));
}

async function discover() {
  let response;
  try {
    response = await fetch(`${OIDC.issuer}/.well-known/openid-configuration`, { credentials: 'omit', cache: 'no-store' });
  } catch (error) {
    throw new Error(`The identity provider ${OIDC.issuer} did not answer (${error.message}); it must allow this page's origin (CORS).`);
  }
  if (!response.ok) throw new Error(`The identity provider's discovery document answered ${response.status}.`);
  const document = await response.json();
  if (!document.authorization_endpoint || !document.token_endpoint) throw new Error('The identity provider names no authorization or token endpoint.');
  return document;
}

/** Leaves for the issuer's login page; comes back to /console/?code=...&state=... */
export async function signIn() {
  const endpoints = await discover();
  const verifier = randomText(48);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = randomText(16);
  const nonce = randomText(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce, tokenEndpoint: endpoints.token_endpoint, back: location.hash || '#/' }));
  const url = new URL(endpoints.authorization_endpoint);
  for (const [key, value] of Object.entries({
    response_type: 'code',
    client_id: OIDC.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email',
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })) url.searchParams.set(key, value);
  location.assign(url.href);
}

/**
 * Back from the issuer: exchanges the code for an ID token and keeps it for the tab. Resolves to
 * null (nothing to do, or signed in) or to a sentence saying why the sign-in failed.
 */
export async function finishSignIn() {
  const answer = new URLSearchParams(location.search);
  if (!OIDC || !answer.has('state')) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', `${REDIRECT_URI}${pending ? pending.back : '#/'}`); // no code left in the address bar
  if (!pending || answer.get('state') !== pending.state) return 'This sign-in answer is not for a sign-in this tab started; sign in again.';
  if (answer.get('error')) {
    return `The identity provider did not sign you in: ${answer.get('error')}${answer.get('error_description') ? ` (${answer.get('error_description')})` : ''}.`;
  }
  let response;
  try {
    response = await fetch(pending.tokenEndpoint, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: answer.get('code') || '',
        redirect_uri: REDIRECT_URI,
        client_id: OIDC.clientId,
        code_verifier: pending.verifier,
      }),
    });
  } catch (error) {
    return `The identity provider's token endpoint did not answer (${error.message}); it must allow this page's origin (CORS) and be on the issuer's origin.`;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.id_token) return `The identity provider gave no ID token (${response.status}${body.error ? `: ${body.error}` : ''}${body.error_description ? `, ${body.error_description}` : ''}).`;
  let claims;
  try {
    claims = claimsOf(body.id_token);
  } catch {
    return 'The identity provider gave an ID token that cannot be read.';
  }
  if (claims.nonce !== pending.nonce) return 'The ID token is not for this sign-in (its nonce differs); sign in again.';
  token.set(body.id_token); // the API verifies it (signature, issuer, audience, expiry) on every request
  return null;
}
