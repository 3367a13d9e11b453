# shellcheck shell=bash
# The Odoo images the platform runs. Where the engine has or can pull the official
# odoo:<version> image, that one; otherwise odoo-local:<version>, built from Odoo's
# source bundles (deploy/odoo-image, cached by input hash). Requires common.sh and
# a running engine.

ODOO_IMAGE_VERSIONS=(18.0 17.0)
ODOO_SOURCE_DIR="${ODOO_SOURCE_DIR:-$ROOT/../shared/odoo}"

# resolve_odoo_images: sets ODOO_IMAGES to `18.0=<image>,17.0=<image>` (the first is
# the default version), building what is missing. Returns 1, saying why, when a
# version can be neither found, pulled nor built.
resolve_odoo_images() {
  local v image pairs=() build=()
  for v in "${ODOO_IMAGE_VERSIONS[@]}"; do
    image=""
    if docker image inspect "odoo:$v" >/dev/null 2>&1; then
      image="odoo:$v"
    elif [[ "${IMAGE_PULL:-true}" == true ]] && timeout 600 docker pull -q "odoo:$v" >/dev/null 2>&1; then
      image="odoo:$v"
      ok "pulled the official odoo:$v image"
    elif [[ -r "$ODOO_SOURCE_DIR/odoo-$v-minimal.tar.xz" ]]; then
      image="odoo-local:$v"
      build+=("$v")
    else
      warn "no Odoo $v image: odoo:$v is not on this engine, cannot be pulled (IMAGE_PULL=${IMAGE_PULL:-true}), and there is no source bundle $ODOO_SOURCE_DIR/odoo-$v-minimal.tar.xz to build one from (set ODOO_SOURCE_DIR)"
      return 1
    fi
    pairs+=("$v=$image")
  done
  if ((${#build[@]})); then
    info "building Odoo images from source (${build[*]}; cached by input hash)"
    bash "$ROOT/deploy/odoo-image/build-odoo-image.sh" --source-dir "$ODOO_SOURCE_DIR" "${build[@]}" || {
      warn "building the Odoo images failed (see above)"
      return 1
    }
  fi
  ODOO_IMAGES="$(IFS=,; printf '%s' "${pairs[*]}")"
  ok "Odoo images: $ODOO_IMAGES"
}
