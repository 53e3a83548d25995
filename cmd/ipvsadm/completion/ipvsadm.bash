# bash completion for ipvsadm, ipvsadm-save and ipvsadm-restore (ipvsadm-go)
#
# Standalone: it uses only bash's builtins, so it works with or without the
# bash-completion package. "make install" puts it in
# $(PREFIX)/share/bash-completion/completions/ipvsadm, with ipvsadm-save and
# ipvsadm-restore as links to it for bash-completion's on-demand loading;
# without bash-completion, source it from ~/.bashrc or /etc/bash.bashrc.
#
# Services (-t, -u, --sctp-service, -f) and real servers (-r) are completed
# from the current table, read with "ipvsadm -Sn" (with the --netns given
# on the line) when the ip_vs module is loaded; --netns completes the names
# under /var/run/netns, or a path.

_ipvsadm_go_netns_dir=/var/run/netns
_ipvsadm_go_schedulers="rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos" # twos: Linux 6.7 and later
_ipvsadm_go_sched_flags="flag-1 flag-2 flag-3 sh-fallback sh-port mh-fallback mh-port"

# The commands; the first of them on the line decides what follows.
_ipvsadm_go_commands="-A|--add-service -E|--edit-service -D|--delete-service -C|--clear -R|--restore
	-S|--save -a|--add-server -e|--edit-server -d|--delete-server -L|--list -l -Z|--zero --set
	--start-daemon --stop-daemon -h|--help -v|--version"

# Options per command, each as short|long (either may be missing). Options
# in one group ({...}) exclude each other: once one is on the line none of
# them is offered (so --test rules out --converge and --dry-run, and either
# of those --test).
_ipvsadm_go_vs="{-t|--tcp-service -u|--udp-service --sctp-service -f|--fwmark-service}"
_ipvsadm_go_service_opts="$_ipvsadm_go_vs -6|--ipv6 -s|--scheduler -p|--persistent -M|--netmask --pe -b|--sched-flags -o|--ops"
_ipvsadm_go_server_opts="$_ipvsadm_go_vs -6|--ipv6 -r|--real-server {-g|--gatewaying -i|--ipip -m|--masquerading}
	-w|--weight -x|--u-threshold -y|--l-threshold --tun-type --tun-port {--tun-nocsum --tun-csum --tun-remcsum}"
_ipvsadm_go_list_opts="$_ipvsadm_go_vs -6|--ipv6 -c|--connection --timeout --daemon --stats --rate -X|--exact
	--thresholds --persistent-conn --tun-info --nosort --sort -n|--numeric --json"
_ipvsadm_go_daemon_opts="--syncid --sync-maxlen --mcast-interface --mcast-group --mcast-port --mcast-ttl"
_ipvsadm_go_restore_opts="{--test --converge} {--test --dry-run} --verbose"

# _ipvsadm_go_lines sets the array named $1 to the lines the rest of the
# arguments, a command, print (none for no output). No process
# substitution: it needs /dev/fd, which minimal systems may lack.
_ipvsadm_go_lines() {
	local _text
	_text=$("${@:2}")
	eval "$1=()"
	[[ -n $_text ]] && mapfile -t "$1" <<<"$_text"
	return 0
}

# _ipvsadm_go_words sets words and cword from COMP_WORDS and COMP_CWORD,
# joining again what readline split at ':' and '=' (host:port, [v6]:port,
# --opt=value) when no blank separates the pieces on the line.
_ipvsadm_go_words() {
	words=() cword=0
	if [[ -z ${COMP_LINE+set} ]]; then
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
		return
	fi
	local line=$COMP_LINE rest word i n
	for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
		word=${COMP_WORDS[i]}
		rest=${line#"${line%%[![:blank:]]*}"}
		n=${#words[@]}
		if ((i > 0 && ${#rest} == ${#line})) &&
			[[ $word == [:=]* || ${words[n - 1]} == *[:=] ]]; then
			words[n - 1]+=$word
		else
			words+=("$word")
		fi
		line=${rest#"$word"}
	done
	cword=$((${#words[@]} - 1))
}

# _ipvsadm_go_reply sets COMPREPLY to the candidates that start with cur
# (the whole word), cut as readline wants them: after the last ':' or '='
# of cur that splits words (COMP_WORDBREAKS).
_ipvsadm_go_reply() {
	local cur=$1 c cut=
	shift
	local i
	for ((i = ${#cur} - 1; i >= 0; i--)); do
		c=${cur:i:1}
		if [[ ($c == : || $c == =) && $COMP_WORDBREAKS == *"$c"* ]]; then
			cut=${cur:0:i+1}
			break
		fi
	done
	COMPREPLY=()
	for c in "$@"; do
		[[ $c == "$cur"* ]] && COMPREPLY+=("${c#"$cut"}")
	done
}

# _ipvsadm_go_used reports whether the option spec (short|long) is on the
# line before the cursor.
_ipvsadm_go_used() {
	local form w
	for form in ${1//|/ }; do
		for w in "${words[@]:1:cword-1}"; do
			[[ $w == "$form" || $w == "$form"=* ]] && return 0
		done
	done
	return 1
}

# _ipvsadm_go_options prints the options of a list (see above), both forms
# of each, leaving out those on the line already and the members of a
# group one of whose members is.
_ipvsadm_go_options() {
	local spec member form open close ingroup=0
	local -A skip=() seen=()
	local -a group=()
	for spec in $1; do
		open=0 close=0
		[[ $spec == '{'* ]] && open=1 spec=${spec#\{}
		[[ $spec == *'}' ]] && close=1 spec=${spec%\}}
		((open)) && ingroup=1 group=()
		if ((ingroup)); then
			group+=("$spec")
			((close)) || continue
			ingroup=0
			for member in "${group[@]}"; do
				_ipvsadm_go_used "$member" || continue
				for form in ${group[*]//|/ }; do skip[$form]=1; done
				break
			done
		elif _ipvsadm_go_used "$spec"; then
			for form in ${spec//|/ }; do skip[$form]=1; done
		fi
	done
	for spec in $1; do
		spec=${spec#\{} spec=${spec%\}}
		for form in ${spec//|/ }; do
			[[ -n ${skip[$form]} || -n ${seen[$form]} ]] && continue
			seen[$form]=1
			printf '%s\n' "$form"
		done
	done
}

# _ipvsadm_go_can_query reports whether the table may be read: only when
# ip_vs is loaded, so that completing never loads the module.
_ipvsadm_go_can_query() {
	[[ -e /proc/net/ip_vs ]]
}

# _ipvsadm_go_table prints the table as "ipvsadm -Sn" saves it, in the
# namespace of the --netns on the line.
_ipvsadm_go_table() {
	_ipvsadm_go_can_query || return 0
	local -a cmd=(ipvsadm -Sn)
	[[ -n $netns ]] && cmd+=(--netns "$netns")
	"${cmd[@]}" 2>/dev/null </dev/null
}

# _ipvsadm_go_services prints the services of the table given by the
# option kind (-t, -u, --sctp-service, -f), without duplicates.
_ipvsadm_go_services() {
	local kind=$1 a k key rest table
	local -A seen=()
	table=$(_ipvsadm_go_table)
	while read -r a k key rest; do
		[[ $a == -A && $k == "$kind" && -z ${seen[$key]} ]] || continue
		seen[$key]=1
		printf '%s\n' "$key"
	done <<<"$table"
}

# _ipvsadm_go_servers prints the real servers of the service given on the
# line (svc_kind svc_key), or of every service when none is given.
_ipvsadm_go_servers() {
	local a k key r server rest table
	local -A seen=()
	table=$(_ipvsadm_go_table)
	while read -r a k key r server rest; do
		[[ $a == -a && $r == -r ]] || continue
		[[ -z $svc_kind || ($k == "$svc_kind" && $key == "$svc_key") ]] || continue
		[[ -z ${seen[$server]} ]] || continue
		seen[$server]=1
		printf '%s\n' "$server"
	done <<<"$table"
}

# _ipvsadm_go_netns prints the namespace names that "ip netns add" made.
_ipvsadm_go_netns() {
	local f
	for f in "$_ipvsadm_go_netns_dir"/*; do
		[[ -e $f ]] && printf '%s\n' "${f##*/}"
	done
}

# _ipvsadm_go_value completes the value of option opt (cur is the value so
# far, prefix what comes before it in the word: "--opt=" or nothing). It
# fails when opt takes no value.
_ipvsadm_go_value() {
	local opt=$1 cur=$2 prefix=$3 v
	local -a vals=()
	case $opt in
	--netns)
		if [[ $cur == */* ]]; then
			compopt -o filenames 2>/dev/null
			_ipvsadm_go_lines vals compgen -f -- "$cur"
		else
			_ipvsadm_go_lines vals _ipvsadm_go_netns
		fi
		;;
	-s | --scheduler) vals=($_ipvsadm_go_schedulers) ;;
	--pe) vals=(sip) ;;
	--tun-type) vals=(ipip gue gre) ;;
	-b | --sched-flags)
		# a comma-separated list: complete its last item
		local head=
		[[ $cur == *,* ]] && head=${cur%,*},
		for v in $_ipvsadm_go_sched_flags; do
			[[ ,$head == *,"$v",* ]] || vals+=("$head$v")
		done
		;;
	-t | --tcp-service) [[ $cmd == A ]] || _ipvsadm_go_lines vals _ipvsadm_go_services -t ;;
	-u | --udp-service) [[ $cmd == A ]] || _ipvsadm_go_lines vals _ipvsadm_go_services -u ;;
	--sctp-service) [[ $cmd == A ]] || _ipvsadm_go_lines vals _ipvsadm_go_services --sctp-service ;;
	-f | --fwmark-service) [[ $cmd == A ]] || _ipvsadm_go_lines vals _ipvsadm_go_services -f ;;
	-r | --real-server) [[ $cmd == [ed] ]] && _ipvsadm_go_lines vals _ipvsadm_go_servers ;;
	--mcast-interface)
		for v in /sys/class/net/*; do
			[[ -e $v ]] && vals+=("${v##*/}")
		done
		;;
	-w | --weight | -x | --u-threshold | -y | --l-threshold | -M | --netmask | --tun-port | \
		--syncid | --sync-maxlen | --mcast-group | --mcast-port | --mcast-ttl) ;;
	*) return 1 ;;
	esac
	_ipvsadm_go_reply "$prefix$cur" "${vals[@]/#/$prefix}"
	return 0
}

# _ipvsadm_go_scan reads the words before the cursor: the command (cmd),
# the namespace (netns) and the virtual service (svc_kind, svc_key).
_ipvsadm_go_scan() {
	cmd= netns= svc_kind= svc_key=
	local i w next
	for ((i = 1; i < cword; i++)); do
		w=${words[i]} next=
		((i + 1 < cword)) && next=${words[i + 1]}
		case $w in
		--) break ;;
		--netns) netns=$next ;;
		--netns=*) netns=${w#*=} ;;
		-t | --tcp-service | -u | --udp-service | --sctp-service | -f | --fwmark-service)
			svc_kind=$w svc_key=$next
			;;
		--tcp-service=* | --udp-service=* | --sctp-service=* | --fwmark-service=*)
			svc_kind=${w%%=*} svc_key=${w#*=}
			;;
		esac
		case $svc_kind in
		--tcp-service) svc_kind=-t ;;
		--udp-service) svc_kind=-u ;;
		--fwmark-service) svc_kind=-f ;;
		esac
		[[ -n $cmd ]] && continue
		case $w in
		-A | --add-service) cmd=A ;;
		-E | --edit-service) cmd=E ;;
		-D | --delete-service) cmd=D ;;
		-C | --clear) cmd=C ;;
		-R | --restore) cmd=R ;;
		-S | --save) cmd=S ;;
		-a | --add-server) cmd=a ;;
		-e | --edit-server) cmd=e ;;
		-d | --delete-server) cmd=d ;;
		-L | -l | --list) cmd=L ;;
		-Z | --zero) cmd=Z ;;
		--set) cmd=set ;;
		--start-daemon) cmd=start ;;
		--stop-daemon) cmd=stop ;;
		-h | --help) cmd=h ;;
		-v | --version) cmd=v ;;
		-[AEDCRSaedLlZhv]?*) # a cluster such as -Lnc
			cmd=${w:1:1}
			[[ $cmd == l ]] && cmd=L
			;;
		esac
	done
}

# _ipvsadm_go completes ipvsadm, ipvsadm-save and ipvsadm-restore.
_ipvsadm_go() {
	local -a words
	local cword cmd netns svc_kind svc_key
	_ipvsadm_go_words
	local cur=${words[cword]} prev=
	((cword > 0)) && prev=${words[cword - 1]}
	COMPREPLY=()
	_ipvsadm_go_scan

	# --opt=value
	if [[ $cur == --*=* ]]; then
		_ipvsadm_go_value "${cur%%=*}" "${cur#*=}" "${cur%%=*}=" || COMPREPLY=()
		return 0
	fi

	local opts
	case ${words[0]##*/} in
	ipvsadm-save)
		[[ $prev == --netns ]] && { _ipvsadm_go_value --netns "$cur"; return 0; }
		opts="-n --netns"
		;;
	ipvsadm-restore)
		[[ $prev == --netns ]] && { _ipvsadm_go_value --netns "$cur"; return 0; }
		opts="$_ipvsadm_go_restore_opts --netns"
		;;
	*)
		if [[ $prev == --start-daemon || $prev == --stop-daemon ]] && [[ $cmd == start || $cmd == stop ]]; then
			_ipvsadm_go_reply "$cur" master backup
			return 0
		fi
		[[ $prev == -* ]] && _ipvsadm_go_value "$prev" "$cur" "" && return 0
		case $cmd in
		'') opts="$_ipvsadm_go_commands" ;;
		A | E) opts="$_ipvsadm_go_service_opts" ;;
		D | Z) opts="$_ipvsadm_go_vs -6|--ipv6" ;;
		a | e) opts="$_ipvsadm_go_server_opts" ;;
		d) opts="$_ipvsadm_go_vs -6|--ipv6 -r|--real-server" ;;
		L) opts="$_ipvsadm_go_list_opts" ;;
		S) opts="-n|--numeric" ;;
		R) opts="$_ipvsadm_go_restore_opts" ;;
		start) opts="$_ipvsadm_go_daemon_opts" ;;
		*) opts= ;;
		esac
		opts+=" --netns"
		;;
	esac
	[[ -z $cur || $cur == -* ]] || return 0
	local -a cands
	_ipvsadm_go_lines cands _ipvsadm_go_options "$opts"
	_ipvsadm_go_reply "$cur" "${cands[@]}"
	return 0
}

complete -F _ipvsadm_go ipvsadm ipvsadm-save ipvsadm-restore
