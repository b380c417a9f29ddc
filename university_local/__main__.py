from university_local.cli import main

main()
