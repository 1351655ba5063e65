# fish completion for splice-net(1)
set -l cmds send recv serve fanout relay
complete -c splice-net -f -n "not __fish_seen_subcommand_from $cmds" -a send -d 'Connect and send files or standard input'
complete -c splice-net -f -n "not __fish_seen_subcommand_from $cmds" -a recv -d 'Listen and write what arrives to standard output'
complete -c splice-net -f -n "not __fish_seen_subcommand_from $cmds" -a serve -d 'Serve a file to every client'
complete -c splice-net -f -n "not __fish_seen_subcommand_from $cmds" -a fanout -d 'Send standard input to every client that connects'
complete -c splice-net -f -n "not __fish_seen_subcommand_from $cmds" -a relay -d 'Forward each connection to a target'
complete -c splice-net -l help -d 'Display help and exit'
complete -c splice-net -l version -d 'Output version information and exit'

# Shared by every command
complete -c splice-net -n "__fish_seen_subcommand_from $cmds" -s t -l timeout -x -d 'Timeout in seconds'
complete -c splice-net -n "__fish_seen_subcommand_from $cmds" -l pipe-size -x -d 'Capacity to aim for in pipes'
complete -c splice-net -n "__fish_seen_subcommand_from $cmds" -l no-splice -d 'Move data with read/write only'
complete -c splice-net -n "__fish_seen_subcommand_from $cmds" -l progress -d 'Show a progress meter on stderr'
complete -c splice-net -n "__fish_seen_subcommand_from $cmds" -l stats -d 'Report bytes per path (--stats=json for JSON)'

complete -c splice-net -n "__fish_seen_subcommand_from send" -s r -l recv -d 'Also copy what the peer sends to stdout'
complete -c splice-net -n "__fish_seen_subcommand_from send recv" -s v -l verbose -d 'Report connections on stderr'
complete -c splice-net -n "__fish_seen_subcommand_from recv" -s k -l keep -d 'Accept the next connection after each one'
complete -c splice-net -n "__fish_seen_subcommand_from recv" -s o -l output -r -F -d 'Write to FILE'

complete -c splice-net -n "__fish_seen_subcommand_from serve" -l content-type -x -d 'Content-Type for --http'
complete -c splice-net -n "__fish_seen_subcommand_from serve" -l header -x -d 'Send TEXT before the file'
complete -c splice-net -n "__fish_seen_subcommand_from serve" -l header-file -r -F -d 'Send FILE before the file'
complete -c splice-net -n "__fish_seen_subcommand_from serve" -l http -d 'Answer HTTP/1.1 GET and HEAD requests'
complete -c splice-net -n "__fish_seen_subcommand_from serve fanout relay" -l max-clients -x -d 'At most N clients at once'
complete -c splice-net -n "__fish_seen_subcommand_from serve fanout relay" -s q -l quiet -d 'No log line per connection'
complete -c splice-net -n "__fish_seen_subcommand_from serve relay" -l stop -x -a 'finish drop' -d 'On SIGTERM: finish or drop transfers'
complete -c splice-net -n "__fish_seen_subcommand_from fanout" -l content-type -x -d 'Content-Type for --http'
complete -c splice-net -n "__fish_seen_subcommand_from fanout" -l http -d 'Answer an HTTP GET with a response head before the stream'
complete -c splice-net -n "__fish_seen_subcommand_from fanout" -l min-clients -x -d 'Wait for N clients before reading'
complete -c splice-net -n "__fish_seen_subcommand_from fanout" -l slow -x -a 'drop block' -d 'A client a whole buffer behind: drop or block'
