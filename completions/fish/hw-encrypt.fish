# fish completion for hw-encrypt(1)
function __hw_encrypt_keygen
    contains -- keygen (commandline -opc)
end

complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -f -a keygen -d 'write a new random key'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -s e -l encrypt -d 'encrypt (the default)'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -s d -l decrypt -d 'decrypt and verify'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -s k -l key-file -r -F -d 'key file (32 bytes or 64 hex digits)'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l key-fd -x -d 'read the key from descriptor N'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l passphrase-file -r -F -d 'passphrase: first line of FILE'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l passphrase-fd -x -d 'read the passphrase from descriptor N'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l scrypt-work -x -a '10 11 12 13 14 15 16 17 18 19 20' -d 'scrypt cost 2^N'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -s t -l threads -x -d 'worker threads'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l backend -x -a 'auto openssl kernel' -d 'cipher implementation'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l list-backends -d 'show the backends available, and exit'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l raw -d 'plain CTR/CBC compatible with openssl enc, no integrity'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l cipher -x -a 'aes-128-ctr aes-256-ctr aes-128-cbc aes-256-cbc' -d 'raw cipher'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l key-hex-file -r -F -d 'raw key as hex digits'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l iv -x -d 'raw IV, 32 hex digits'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l nopad -d 'CBC without PKCS#7 padding'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l pipe-size -x -d 'grow the pipes toward SIZE'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l no-splice -d 'never splice input into the backend'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l progress -d 'show a progress meter on stderr'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l stats -d 'report bytes and system calls (=text or =json)'
complete -c hw-encrypt -l help -d 'display help and exit'
complete -c hw-encrypt -n 'not __hw_encrypt_keygen' -l version -d 'output version information and exit'
complete -c hw-encrypt -n __hw_encrypt_keygen -s o -l output -r -F -d 'write the key to FILE'
complete -c hw-encrypt -n __hw_encrypt_keygen -l hex -d 'write 64 hex digits'
