// state.js: what a stack's state is, in words, for the list and the stack's own screen.
// Why a stack shows no numbers, in words: never a row of dashes with no reason.
export function stackState(s) {
  const live = s.live || {};
  const out = [];
  if (s.problem) out.push(`invalid: ${s.problem}`);
  if (s.enabled === false) out.push("disabled");
  if (s.template_changed) out.push("template changed");
  if (s.live_unavailable) out.push(`engine unavailable: ${s.live_unavailable}`);
  else if (live.stale) out.push(`engine slow: as of ${live.age_seconds} s ago`);
  else if (!live.deployed && s.enabled !== false) out.push("not deployed yet");
  return out;
}

