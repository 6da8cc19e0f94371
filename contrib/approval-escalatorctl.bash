# bash completion for approval-escalatorctl(1)
#
# Commands, subcommands, options and the values known in advance; channel
# names for send-test are asked of the running daemon (via "status").

# Print the channel names the daemon reports, using the same socket or URL
# as the command line being completed.
_approval_escalatorctl_channels()
{
	local -a conn=()
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		-s|--socket|--url|--token)
			conn+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}")
			;;
		esac
	done
	approval-escalatorctl "${conn[@]}" status 2>/dev/null |
	    awk '/^channels:$/ { inch = 1; next }
		inch && /^  / { if (seen++) print $1; next }
		inch { exit }'
}

# Set COMPREPLY to what compgen gives for the word being completed, one
# per line (file names may hold spaces).
_approval_escalatorctl_reply()
{
	mapfile -t COMPREPLY < <(compgen "$@" -- "$cur")
}

_approval_escalatorctl()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local global="-s --socket --url --token --json -h --help --version"
	local common="--json --help --socket --url --token"
	local commands="status list export show item project log reload send-test
	    simulate report import outbox help"
	local event_opts="--note --at --event-id"

	# Values of options, whatever the command.
	case $prev in
	-s|--socket)
		compopt -o filenames 2>/dev/null
		_approval_escalatorctl_reply -f
		return
		;;
	--status)
		_approval_escalatorctl_reply -W "planned accepted suspended done
		    cancelled"
		return
		;;
	--encoding)
		_approval_escalatorctl_reply -W "auto utf-8 gb18030"
		return
		;;
	--state)
		_approval_escalatorctl_reply -W "queued failed sent dropped all"
		return
		;;
	--channel|--from|--to)
		# simulate --from takes a date; outbox's take channel names.
		if [[ $prev == --channel || " ${words[*]} " == *" outbox "* ]]; then
			local IFS=$'\n'
			_approval_escalatorctl_reply -W "$(_approval_escalatorctl_channels)"
		fi
		return
		;;
	--actor)
		# log: the actors that can be named in advance.
		_approval_escalatorctl_reply -W "daemon unix:${USER:-$(id -un)}
		    unix:* token:* import:*"
		return
		;;
	--since)
		_approval_escalatorctl_reply -W "$(date +%F)"
		return
		;;
	--mode)
		_approval_escalatorctl_reply -W "normal 预审 容缺受理 告知承诺"
		return
		;;
	--category)
		_approval_escalatorctl_reply -W '社会投资类 城市建设类 工业“四改”类'
		return
		;;
	--limit)
		# item add takes a time limit, list and log a count.
		[[ " ${words[*]} " == *" add "* ]] &&
		    _approval_escalatorctl_reply -W "1wd 3wd 5wd 10wd 20wd"
		return
		;;
	--url|--token|--project|--name|--department|--handler|--deadline|\
	--accepted|--after|--project-name|--region|--supplement-deadline|\
	--commitment-deadline|--code|--content|--planned-start|--note|--at|\
	--event-id|--reason|--item|--until|--group|--timeout|--after)
		return
		;;
	esac

	# Find the command words, skipping global options and their values.
	local i cmd="" sub="" ncmd=0
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-s|--socket|--url|--token)
			((i++))
			;;
		-*)
			;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
				ncmd=$i
			elif [[ -z $sub && ( $cmd == item || $cmd == project ||
			    $cmd == outbox ) ]]; then
				sub=${words[i]}
			fi
			;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			_approval_escalatorctl_reply -W "$global"
		else
			_approval_escalatorctl_reply -W "$commands"
		fi
		return
	fi

	local opts=""
	case $cmd in
	status|reload)
		opts=""
		;;
	list)
		opts="--status --project --limit"
		;;
	export)
		opts="--status --project"
		;;
	show)
		;;
	item)
		if [[ -z $sub ]]; then
			_approval_escalatorctl_reply -W "add accept done suspend resume
			    cancel block unblock raise progress"
			return
		fi
		case $sub in
		add)
			opts="--project --name --department --handler --deadline
			    --accepted --limit --mode --after --project-name
			    --category --region --planned --supplement-deadline
			    --commitment-deadline"
			;;
		suspend|block)
			opts="--reason $event_opts"
			;;
		*)
			opts=$event_opts
			;;
		esac
		;;
	project)
		if [[ -z $sub ]]; then
			_approval_escalatorctl_reply -W "add list progress"
			return
		fi
		case $sub in
		add)
			opts="--code --name --category --region --content
			    --planned-start"
			;;
		progress)
			opts="--note --at"
			;;
		esac
		;;
	log)
		opts="--item --project --actor --since --until --limit --follow"
		;;
	send-test)
		if [[ $cur != -* && $((cword - ncmd)) -eq 1 ]]; then
			local IFS=$'\n'
			_approval_escalatorctl_reply -W "$(_approval_escalatorctl_channels)"
			return
		fi
		;;
	simulate)
		opts="--until --from"
		;;
	report)
		opts="--group --at --send --wait --timeout --csv --text --xlsx"
		if [[ $prev == --xlsx ]]; then
			compopt -o filenames 2>/dev/null
			_approval_escalatorctl_reply -f
			return
		fi
		;;
	outbox)
		case $sub in
		"")
			[[ $cur != -* ]] &&
			    _approval_escalatorctl_reply -W "retry move drop" &&
			    return
			opts="--channel --state --item --limit --after"
			;;
		retry)
			opts="--channel --all-failed"
			;;
		move)
			opts="--from --to"
			;;
		drop)
			opts="--channel --reason"
			;;
		esac
		;;
	import)
		opts="--dry-run --encoding"
		if [[ $cur != -* ]]; then
			compopt -o filenames 2>/dev/null
			_approval_escalatorctl_reply -f
			return
		fi
		;;
	help)
		if [[ $((cword - ncmd)) -eq 1 ]]; then
			_approval_escalatorctl_reply -W "$commands"
		elif [[ $((cword - ncmd)) -eq 2 && ${words[ncmd+1]} == item ]]; then
			_approval_escalatorctl_reply -W "add accept done suspend resume
			    cancel block unblock raise progress"
		elif [[ $((cword - ncmd)) -eq 2 && ${words[ncmd+1]} == project ]]; then
			_approval_escalatorctl_reply -W "add list progress"
		elif [[ $((cword - ncmd)) -eq 2 && ${words[ncmd+1]} == outbox ]]; then
			_approval_escalatorctl_reply -W "retry move drop"
		fi
		return
		;;
	*)
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		_approval_escalatorctl_reply -W "$opts $common"
	fi
}
complete -F _approval_escalatorctl approval-escalatorctl
