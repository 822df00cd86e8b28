# Sourced by scripts/make-samples and scripts/make-corpus; needs the vips CLI.
#
# synth_photo OUT.v WIDTH HEIGHT SEED NOISE_SIGMA [CAPTION] [FORMAT]
#
# Writes a synthetic "photo" to OUT.v (a .v file, libvips' own format, so later
# draw_* calls can change it in place): a sky-to-ground gradient, soft colour
# clouds and finer texture (Perlin noise), a few hard-edged discs and boxes,
# per-channel sensor-like noise of NOISE_SIGMA levels, and an optional caption.
# Flat colours compress far better than photos do; this compresses like a photo,
# which is what decode, hash and thumbnail timings need.
#
# Everything is derived from SEED (Perlin and Gaussian noise take libvips'
# seed; shape positions and colours come from a small LCG below), so a given
# SEED gives the same pixels on every run. FORMAT is uchar (8-bit sRGB, the
# default) or ushort (16-bit rgb16, computed from the float scene, so the low
# byte carries real data rather than a copy of the high byte).

_synth_state=1

# _synth_rand N: sets SYNTH_R to a number in [0, N).
_synth_rand() {
  _synth_state=$(( (_synth_state * 1103515245 + 12345) % 2147483648 ))
  SYNTH_R=$(( (_synth_state / 65536) % $1 ))
}

synth_photo() {
  local out=$1 w=$2 h=$3 seed=$4 sigma=$5 caption=${6:-} format=${7:-uchar}
  local t i r g b
  local -a top=() bot=()
  t=$(mktemp -d "$(dirname "$out")/synth.XXXXXX")
  _synth_state=$seed

  # Sky-to-ground gradient: a vertical 0..1 ramp mapped from a top colour to
  # a bottom colour (linear with one gain and offset per band).
  vips grey "$t/ramp-x.v" "$h" "$w"
  vips rot "$t/ramp-x.v" "$t/ramp.v" d90
  for i in 0 1 2; do
    _synth_rand 130; top+=($((100 + SYNTH_R)))
    _synth_rand 120; bot+=($((20 + SYNTH_R)))
  done
  vips linear "$t/ramp.v" "$t/grad.v" \
    " $((bot[0] - top[0])) $((bot[1] - top[1])) $((bot[2] - top[2]))" \
    " ${top[0]} ${top[1]} ${top[2]}"

  # Colour clouds (one Perlin field per band) and a finer grey texture.
  for i in 0 1 2; do
    vips perlin "$t/cloud$i.v" "$w" "$h" --cell-size $(( (w + 3) / 4 )) --seed $((seed * 16 + i))
  done
  vips bandjoin "$t/cloud0.v $t/cloud1.v $t/cloud2.v" "$t/clouds.v"
  vips linear "$t/clouds.v" "$t/clouds-s.v" 70 0
  vips perlin "$t/fine.v" "$w" "$h" --cell-size $(( (w + 24) / 25 )) --seed $((seed * 16 + 3))
  vips linear "$t/fine.v" "$t/fine-s.v" 25 0
  vips add "$t/grad.v" "$t/clouds-s.v" "$t/sum1.v"
  vips add "$t/sum1.v" "$t/fine-s.v" "$t/scene.v"

  # Hard-edged shapes: edges are what JPEG spends bits on.
  local short=$(( w < h ? w : h ))
  for i in 1 2 3 4 5 6; do
    _synth_rand 256; r=$SYNTH_R; _synth_rand 256; g=$SYNTH_R; _synth_rand 256; b=$SYNTH_R
    local x y s
    _synth_rand "$w"; x=$SYNTH_R; _synth_rand "$h"; y=$SYNTH_R
    _synth_rand $(( short / 8 )); s=$(( short / 24 + SYNTH_R ))
    if (( i % 2 )); then
      vips draw_circle "$t/scene.v" "$r $g $b" "$x" "$y" "$s" --fill
    else
      vips draw_rect "$t/scene.v" "$r $g $b" "$x" "$y" $(( s * 2 )) "$s" --fill
    fi
  done
  vips gaussblur "$t/scene.v" "$t/soft.v" 0.8

  # Sensor noise, independent per channel.
  if [[ $sigma != 0 ]]; then
    for i in 0 1 2; do
      vips gaussnoise "$t/noise$i.v" "$w" "$h" --sigma "$sigma" --mean 0 --seed $((seed * 16 + 4 + i))
    done
    vips bandjoin "$t/noise0.v $t/noise1.v $t/noise2.v" "$t/noise.v"
    vips add "$t/soft.v" "$t/noise.v" "$t/final.v"
  else
    mv "$t/soft.v" "$t/final.v"
  fi

  # 72 dpi (2.8346 pixels/mm), as cameras write.
  if [[ $format == ushort ]]; then
    # 12-bit values in the top of a 16-bit container, as scanners and raw
    # converters write them: real low-order data that still compresses.
    vips linear "$t/final.v" "$t/final12.v" 16 0
    vips cast "$t/final12.v" "$t/int12.v" ushort
    vips linear "$t/int12.v" "$t/final16.v" 16 0
    vips cast "$t/final16.v" "$t/cast.v" ushort
    vips copy "$t/cast.v" "$out" --interpretation rgb16 --xres 2.834645669 --yres 2.834645669
  else
    vips cast "$t/final.v" "$t/cast.v" uchar
    vips copy "$t/cast.v" "$out" --interpretation srgb --xres 2.834645669 --yres 2.834645669
  fi

  if [[ -n $caption ]]; then
    vips text "$t/caption.v" "$caption" --font "DejaVu Sans Bold $(( h / 24 ))"
    local ink="255 255 255"
    [[ $format == ushort ]] && ink="65535 65535 65535"
    vips draw_mask "$out" "$ink" "$t/caption.v" $(( w / 16 )) $(( h / 12 ))
  fi
  rm -rf "$t"
}
