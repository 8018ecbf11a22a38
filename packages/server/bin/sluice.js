#!/usr/bin/env -S node --max-semi-space-size=16
// 16 MB semi-spaces: Node sizes its young generation from the machine's memory, and a gateway holding
// thousands of streams keeps that space committed (see the README's note on `npm start`).
import '../dist/server/main.js';
