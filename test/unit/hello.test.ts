import t from 'tap'
import { hello } from '../../src/util/hello.js'
t.equal(hello('x'), 'hej x')
