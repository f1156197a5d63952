// The console's one view library: Preact (with hooks) and htm's tagged templates, vendored from npm
// (`make console-assets`); no build step, no eval: htm parses the templates itself.
import { h, render, Fragment } from './preact.mjs';
import { useState, useEffect, useRef, useMemo, useCallback } from './hooks.mjs';
import htm from './htm.mjs';

export const html = htm.bind(h);
export { h, render, Fragment, useState, useEffect, useRef, useMemo, useCallback };
