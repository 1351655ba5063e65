# zcomplete.zsh: prints what zsh offers when TAB is pressed after the words in $2, with the
# completion functions in the folder $1 first in fpath. Used by docs.bash (complete_zsh).
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='' PROMPT_EOL_MARK=''; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no; LISTMAX=1000"
zpty -w z "$2"$'\t'
out=
integer i
for (( i = 0; i < 30; i++ )); do
  sleep 0.1
  while zpty -r -t z chunk; do out+=$chunk; done
done
zpty -d z
print -r -- "$out"
