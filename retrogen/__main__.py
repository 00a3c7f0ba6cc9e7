from retrogen.cli import main

main()
