# Sourced by the scripts that speak to trainees.
# french: the first of LC_ALL, LC_MESSAGES and LANG that is set starts
# with "fr" (prodlab's own rule, internal/i18n.FromEnv).
french() {
  local v
  for v in "${LC_ALL:-}" "${LC_MESSAGES:-}" "${LANG:-}"; do
    if [[ -n $v ]]; then [[ $v == fr* ]]; return; fi
  done
  return 1
}
