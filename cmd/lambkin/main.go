// Command lambkin is a self-hosted AWS Lambda.
package main

func main() {}
