#!/bin/sh
sleep 0.3
sleep 1
